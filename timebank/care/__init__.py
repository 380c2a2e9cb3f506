"""Care: needs, visits, redemption and the 10,000-rule admission workflow."""
