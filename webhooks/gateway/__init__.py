"""The inbound gateway: the vendors' own webhooks (RadioManager, xtra, Radio Mast, Standard
Webhooks, generic HMAC) arrive at `/in/<token>/`, are verified on their raw bytes, kept
(every request), de-duplicated, and processed by the workers into the hub's own events.

Follow a request through it:
- views: the endpoint, HTTP only;
- receipt: verify (verifiers, pure), read the body (bodies, pure), keep the row and claim
  its de-duplication key, answer;
- processing: a worker takes the accepted requests, source by source, and relays makes
  of each what its kind says, in one transaction with its "processed" mark;
- services: the operators' actions (replay, accept anyway, rotate the token);
- tokens, selectors: the URL token and the endpoint's look-up.

docs/inbound-gateway.md describes the rules for operators.
"""
