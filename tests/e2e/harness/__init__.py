"""The load-and-fault harness of issue 14 (`make e2e`); see __main__.py."""
