@sender
Feature: Custom headers — sent with every invocation
  A webhook may carry up to 8 custom headers {name, value} (DevRev's beta
  API), for receivers behind a gateway that wants a key: webhooks.create
  takes them, webhooks.update adds, removes or sets them, and every
  invocation — verify requests, events and their retries — sends them.
  Names are ASCII letters, digits, '-' and '_'; the headers the sender sets
  itself (X-DevRev-Signature, Content-Type, Host, …) are refused
  (docs/protocol.md §1.2).

  Background:
    Given a receiver that echoes verify challenges and acknowledges events

  Scenario: a webhook's custom header reaches the receiver with every invocation
    When a webhook subscribed to "work_created" with header "x-api-key: key-1" is created for the receiver
    And a "work_created" event is triggered
    Then the receiver got 1 "work_created" event
    And every request the receiver got carries header "x-api-key: key-1"
    When the webhook's headers are set to "x-api-key: key-2"
    And a "work_created" event is triggered
    Then the receiver's last "work_created" event carries header "x-api-key: key-2"

  Scenario: a header the sender sets itself is refused
    When a webhook subscribed to "work_created" with header "X-DevRev-Signature: forged" is created for the receiver
    Then the webhooks.create answer is 400 "value_not_permitted" for field "headers[0].name"
    And the receiver got 0 verify requests

  Scenario: a header name outside DevRev's rule is refused
    When a webhook subscribed to "work_created" with header "x.api.key: k" is created for the receiver
    Then the webhooks.create answer is 400 "invalid_field" for field "headers[0].name"
