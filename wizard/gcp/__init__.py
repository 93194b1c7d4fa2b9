"""Google Cloud: the service-account key, the five APIs, region, provision checks, provisioning
and teardown. google-auth is imported only here, and only when Google Cloud is chosen."""
