Feature: Robustness — bad requests get a 4xx and the receiver keeps serving
  A receiver faces more than DevRev: broken proxies, scanners, mistakes. A
  correctly signed body that is not valid JSON is the sender's error: the
  answer is a 4xx, never a 5xx (which makes DevRev retry) nor a dropped
  connection, and the receiver goes on accepting valid events. Large events
  are accepted within the same deadline, and the endpoint answers only POST.

  Rule: ROB-01 MUST — Malformed JSON gets a 4xx and the receiver keeps serving
    Malformed JSON with a valid signature gets a 4xx, not a 5xx or a dropped
    connection, and the receiver keeps serving.

    @ROB-01 @must
    Scenario Outline: a correctly signed body that is <body> gets a 4xx
      Given the receiver accepts a correctly signed work_created event
      When I send a correctly signed body that is <body>
      Then the receiver refuses it with a 4xx
      And the receiver still accepts a correctly signed work_created event

      Examples:
        | body                                 |
        | a real event cut in half             |
        | plain text                           |
        | empty                                |
        | a JSON object followed by garbage    |
        | an unterminated string               |
        | ten thousand unclosed brackets       |

    @ROB-01 @must
    Scenario: the receiver keeps serving after a series of malformed bodies
      Given the receiver accepts a correctly signed work_created event
      When I send one after another every kind of malformed body, each correctly signed
      Then the receiver refuses each one with a 4xx
      And the receiver still accepts a correctly signed work_created event

  Rule: ROB-02 MUST — A large event is acknowledged within 3 s
    A large (512 KiB) valid event is acknowledged within 3 s.

    @ROB-02 @must
    Scenario: a 512 KiB event is acknowledged within the deadline
      A work item with a long description and many custom fields makes a
      large event; DevRev sends it whole.

      Given the receiver accepts a correctly signed work_created event
      When I send a correctly signed work_created event of 512 KiB
      Then the receiver acknowledges it with 2xx within the deadline

  Rule: ROB-03 SHOULD — A method other than POST gets 405
    A method other than POST gets 405.

    @ROB-03 @should
    Scenario: a GET request gets 405
      When I send a GET request to the endpoint
      Then the receiver answers 405

    @ROB-03 @should
    Scenario: a correctly signed event sent with PUT gets 405
      When I send a correctly signed work_created event with the method PUT
      Then the receiver answers 405
