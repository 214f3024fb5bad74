Feature: Forward compatibility — new types and new fields do not break the receiver
  DevRev adds event types and fields over time, and a webhook subscribed to
  a type delivers it whether or not the receiver's code handles it. An event
  the receiver does not understand must still be acknowledged: failing it
  with a 5xx makes DevRev retry it, and a webhook that keeps failing is
  degraded. Unknown fields, in the envelope or inside the objects, must be
  ignored.

  Rule: FWD-01 MUST — Unhandled and new event types are acknowledged
    An event type the receiver does not handle, or one new to the catalogue,
    is acknowledged, not failed with 5xx.

    @FWD-01 @must
    Scenario: an event type that is not in the catalogue yet is acknowledged
      Given the receiver accepts a correctly signed work_created event
      When I send a correctly signed event of the new type "future_object_created"
      Then the receiver acknowledges it with 2xx

    @FWD-01 @must
    Scenario Outline: a catalogue event type few receivers handle (<type>) is acknowledged
      Given the receiver accepts a correctly signed work_created event
      When I send a correctly signed <type> event
      Then the receiver acknowledges it with 2xx

      Examples:
        | type                  |
        | ai_agent_response     |
        | sla_tracker_fetched   |
        | sync_unit_updated     |

  Rule: FWD-02 MUST — Unknown fields are tolerated
    Unknown fields in the envelope or the object are tolerated.

    @FWD-02 @must
    Scenario Outline: an unknown field in the <place> is tolerated
      Given the receiver accepts a correctly signed work_created event
      When I send a correctly signed work_created event with an unknown field in the <place>
      Then the receiver acknowledges it with 2xx

      Examples:
        | place    |
        | envelope |
        | object   |
