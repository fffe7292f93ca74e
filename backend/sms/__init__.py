"""SMS channel: pure parsers and codecs (plain text, AML, compact signed SOS).

Nothing here touches the database or a gateway: the report pipeline calls these with the
message text (or form) and what it knows (the regency's areas, a device's key hash).
"""
