"""Matching pipeline: cohort features → criterion matrices → score → candidates → solver."""
