"""Call and contact records: what happened to every call, for coordinators and exports."""
