"""Web accounts: users and their roles per chapter, passwords, sign-in and sessions."""
