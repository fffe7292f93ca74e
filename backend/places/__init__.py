"""Places: the regency's administrative areas (kecamatan, desa) and where a point falls."""
