Feature: Replay — the timestamp keeps old deliveries from being played again
  Every delivery carries the time DevRev sent it, in RFC 3339 UTC with
  fractional seconds: the documentation shows nanoseconds
  (2022-08-01T12:00:00.123456789Z), a real capture microseconds
  (2025-07-02T13:07:40.937074Z). DevRev's reference says an event should only
  be processed if its timestamp is not stale. A receiver should refuse
  correctly signed events whose timestamp is far from its own clock, in
  either direction, and must accept the precision DevRev uses and the few
  seconds by which two clocks disagree.

  Every scenario first shows that the receiver accepts the same event with
  the base event's microsecond timestamp, as DevRev's real deliveries carry;
  only these scenarios send other precisions and skews.

  Rule: RPL-01 SHOULD — A stale event is refused
    A correctly signed event with a stale `timestamp` (10 min old) is
    refused.

    @RPL-01 @should
    Scenario Outline: a correctly signed event <age> old is refused
      Given the receiver accepts a correctly signed work_created event
      When I send a correctly signed work_created event with a timestamp <age> in the past
      Then the receiver refuses it

      Examples:
        | age        |
        | 10 minutes |
        | 1 day      |

  Rule: RPL-02 MUST — Precise timestamps and small clock skew are accepted
    Nanosecond timestamps and a few seconds of clock skew are accepted.

    @RPL-02 @must
    Scenario Outline: a timestamp with <precision> precision is accepted
      Every other scenario's event carries microseconds, as DevRev's real
      deliveries do: its control shows that precision is accepted.

      Given the receiver accepts a correctly signed work_created event
      When I send a correctly signed work_created event with a timestamp of <precision> precision
      Then the receiver acknowledges it with 2xx

      Examples:
        | precision   |
        | nanosecond  |
        | millisecond |

    @RPL-02 @must
    Scenario Outline: a timestamp <skew> in the <direction> is accepted
      The sender's and the receiver's clocks are never exactly equal.

      Given the receiver accepts a correctly signed work_created event
      When I send a correctly signed work_created event with a timestamp <skew> in the <direction>
      Then the receiver acknowledges it with 2xx

      Examples:
        | skew      | direction |
        | 2 seconds | future    |
        | 2 seconds | past      |

  Rule: RPL-03 SHOULD — An event from the future is refused
    A `timestamp` far in the future (10 min) is refused.

    @RPL-03 @should
    Scenario: a correctly signed event 10 minutes in the future is refused
      Given the receiver accepts a correctly signed work_created event
      When I send a correctly signed work_created event with a timestamp 10 minutes in the future
      Then the receiver refuses it
