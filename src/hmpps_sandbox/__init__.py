"""Local stand-in for the HMPPS estate: moto for SNS/SQS, fake HMPPS Auth and fake downstream APIs.

Never imported by the service itself; used by tests, benchmarks and ``make run``.
"""
