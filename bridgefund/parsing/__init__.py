"""Reading files people upload (the pool-loan import sheet): bytes in, checked plain values out.

Below the services (they call it) and above the models; no database access, no service calls.
"""
