Feature: Transport — deliveries travel over HTTPS
  DevRev's deliveries carry customer data, and the signature protects their
  integrity, not their confidentiality. A production endpoint should be
  served over HTTPS. This is reported for information: plain HTTP on
  loopback is what a developer runs locally.

  Rule: SEC-01 INFO — The endpoint is served over HTTPS
    The endpoint is served over HTTPS (reported; plain HTTP on loopback is
    expected in development).

    @SEC-01 @info
    Scenario: the endpoint is served over HTTPS
      When I send a correctly signed work_created event
      Then the exchange was made over HTTPS
