"""TF Serving deployment, gRPC client and local server for exported generators.

Never imports tfgan_suite: a sampling service depends on this package and the export contract only.
"""
