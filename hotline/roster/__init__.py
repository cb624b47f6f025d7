"""The rota: who is on call when, as pure time maths over frozen values."""
