"""siting: where elderly-care and childcare facilities should go.

The pipeline turns an OpenStreetMap road network into a travel-time graph,
measures who can reach which facility, checks plans against their spatial
rules and places planned facilities. See the README for the command line.
"""

__version__ = "0.1.0"
