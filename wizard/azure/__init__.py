"""Azure: the service principal, its role and permissions, and the subscription's readiness.

Imports azure-identity and the azure-mgmt-* packages lazily, so AWS users never load them.
"""
