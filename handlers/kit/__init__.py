"""The chat kit: translation, the typed context, send slots and pseudonyms; it knows no feature."""
