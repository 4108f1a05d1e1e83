"""Estimation: block grids and block models, neighbourhood search, kriging, IDW and nearest
neighbour, cross-validation."""
