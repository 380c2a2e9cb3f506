"""People: real-name persons, volunteers, elders, minors, kinship, training, qualifications."""
