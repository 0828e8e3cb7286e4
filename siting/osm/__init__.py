"""OpenStreetMap files: reading them (one pyosmium reader for PBF and XML), extracting facilities,
buildings and land use, and downloading / clipping regional extracts.
"""
