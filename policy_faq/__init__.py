"""policy_faq package."""
