"""Responders: unit crews' accounts on their phones — sign-in, push token, duty, location."""
