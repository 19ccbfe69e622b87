"""The Decision 766/QĐ-TTg engine: indicators, points, score cards and the units' ranking."""
