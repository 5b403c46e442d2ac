"""Accounts, sign-in and single sign-on: the bridge is the identity provider Moodle trusts."""
