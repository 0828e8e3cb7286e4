"""What the travel times say: service-circle polygons (isochrones), demand points, coverage and equity."""
