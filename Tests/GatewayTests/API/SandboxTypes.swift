// Copyright (c) the Gatehouse authors
import PayOSSandbox

// `PayOS` and `PayOSSandbox` both declare `PaymentLink`, and the module name `PayOSSandbox` is shadowed by the type of
// the same name, so the sandbox's link type is named here, in a file that imports only the sandbox.

/// A payment link as the payOS sandbox stores it.
typealias SandboxPaymentLink = PaymentLink
