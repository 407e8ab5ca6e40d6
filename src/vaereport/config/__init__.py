"""Configuration: the analyses registry, parameter schemas, parameter files and grids."""
