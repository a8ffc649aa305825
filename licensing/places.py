"""A place as people read it, with the region's name from the jurisdictions licensing keeps."""

from identity.places import country_name
from licensing.selectors import jurisdiction_name


def place_name(*, country: str, region: str = "") -> str:
    """A place as people read it: "DI Yogyakarta (ID-YO), Indonesia". A counselor reading where a client is,
    perhaps in an emergency, should not have to decode "ID-YO". Region names are the jurisdictions' (licensing
    seeds Indonesia's 38 provinces and the US states; admins keep them); an unknown region shows its code."""
    country_part = country_name(country) if country else ""
    if not region:
        return country_part
    named = jurisdiction_name(country=country, region=region)
    region_part = f"{named} ({region})" if named else region
    return f"{region_part}, {country_part}" if country_part else region_part
