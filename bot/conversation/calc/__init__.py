"""The /calc dialogue: the steps that collect an item and an amount, and the result."""
