"""The call flow: ring plan, holding, ringing volunteers, claiming, voicemail and call-back."""
