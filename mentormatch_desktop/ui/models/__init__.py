"""Qt item models over service results (columnar, so large tables stay smooth)."""
