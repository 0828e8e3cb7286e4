"""What a study starts from: the scenario file, facility and project tables, and the bundled data.

- :mod:`~siting.inputs.scenario`: the scenario YAML shared by check, place, score, report and batch;
- :mod:`~siting.inputs.facilities`: facility tables (types, owners, beds, places, hospital categories);
- :mod:`~siting.inputs.bundled`: paths and loaders for the data shipped in ``data/``.
"""
