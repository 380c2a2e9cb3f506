"""Matching domain: volunteer↔need dispatch and the nearby list, a pure core (no database).

``models`` (values in and out), ``rules`` (named feasibility rules), ``solver`` (dispatch,
exact optimum, greedy baseline), ``nearby`` (a volunteer's ranked list, accepting a need).
"""
