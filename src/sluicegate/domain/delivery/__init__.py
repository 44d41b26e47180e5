"""Delivery facts (deployments, changes, incidents) and the DORA metrics computed from them."""
