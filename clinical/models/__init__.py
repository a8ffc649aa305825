"""One module per part of the record; each is imported here so Django finds its models."""
