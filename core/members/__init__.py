"""The member register and the people who sign for a member."""
