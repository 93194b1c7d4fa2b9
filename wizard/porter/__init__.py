"""Porter's side of the hand-off: Porter CLI's login (login.py) and a small client of Porter's
API (client.py) that sends the cloud credentials and the cluster contract, and follows Porter's
access check and the cluster's provisioning."""
