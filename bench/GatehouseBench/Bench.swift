// Copyright (c) the Gatehouse authors
import ArgumentParser

@main
struct GatehouseBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gatehouse-bench",
        abstract: "Gatehouse benchmarks.",
        subcommands: [
            StorageLookupBench.self, VaultUnsealBench.self, RefreshServerBench.self, WebhookIngestBench.self, AuditAppendBench.self,
            MailLatencyBench.self, AdminPagesBench.self, ProcessPaymentBench.self, ForgedFloodBench.self,
        ]
    )
}
