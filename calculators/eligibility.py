"""Who may apply under dalian-gxq-2026: the scope (适用范围) and the annex (附则).

Scope: 在高新区依法经营，具有独立法人资格的各类跨境电子商务相关主体或具有独立经营资质的分支机构，
业务聚焦在跨境电商产业领域. Annex: 存在失信惩戒、重大违法违规、拖欠应缴还财政资金的企业不得申报;
存在未诚信纳税，无用工、固定生产经营场所等情况的空壳企业不得申报.
A default Profile is an applicant with none of these problems.
"""

from __future__ import annotations

from dataclasses import dataclass

SCOPE = "dalian-gxq-2026:scope"
ANNEX = "dalian-gxq-2026:annex"
ENTITIES = {
    "legal-person": "具有独立法人资格的主体",
    "branch": "具有独立经营资质的分支机构",
    "other": "既非独立法人、也非具有独立经营资质的分支机构",
}


@dataclass(frozen=True)
class Profile:
    in_zone: bool = True  # 在高新区依法经营
    entity: str = "legal-person"  # one of ENTITIES
    cbec_business: bool = True  # 业务聚焦在跨境电商产业领域
    dishonest: bool = False  # 失信惩戒
    major_violation: bool = False  # 重大违法违规
    owes_fiscal_funds: bool = False  # 拖欠应缴还财政资金
    shell: bool = False  # known to be a 空壳企业
    no_staff: bool = False  # 无用工
    no_premises: bool = False  # 无固定生产经营场所
    tax_dishonest: bool = False  # 未诚信纳税

    def __post_init__(self) -> None:
        if self.entity not in ENTITIES:
            raise ValueError(f"entity must be one of {', '.join(ENTITIES)}, not {self.entity!r}")


def ineligibility_reasons(profile: Profile) -> tuple[str, ...]:
    """Why the profile may not apply, each reason with its clause; empty when it may."""
    reasons = []
    if not profile.in_zone:
        reasons.append(f"不在高新区依法经营：政策只适用于在高新区依法经营的主体（{SCOPE}）")
    if profile.entity == "other":
        reasons.append(f"{ENTITIES['other']}：须具有独立法人资格或独立经营资质（{SCOPE}）")
    if not profile.cbec_business:
        reasons.append(f"业务不在跨境电商产业领域：适用主体须业务聚焦跨境电商（{SCOPE}）")
    for flag, label in (
        (profile.dishonest, "失信惩戒"),
        (profile.major_violation, "重大违法违规"),
        (profile.owes_fiscal_funds, "拖欠应缴还财政资金"),
    ):
        if flag:
            reasons.append(f"存在{label}的企业不得申报（{ANNEX}）")
    shell_signs = [
        label
        for flag, label in (
            (profile.tax_dishonest, "未诚信纳税"),
            (profile.no_staff, "无用工"),
            (profile.no_premises, "无固定生产经营场所"),
        )
        if flag
    ]
    if profile.shell or shell_signs:
        signs = "、".join(shell_signs) or "未诚信纳税，无用工、固定生产经营场所等"
        reasons.append(f"空壳企业（{signs}）不得申报（{ANNEX}）")
    return tuple(reasons)
