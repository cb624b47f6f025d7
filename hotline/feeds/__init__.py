"""Calendar feeds on the web: the iCal documents at secret-token URLs."""
