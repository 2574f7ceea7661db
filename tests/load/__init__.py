"""Load, concurrency and crash tests against `copkit serve` over loopback HTTP."""
