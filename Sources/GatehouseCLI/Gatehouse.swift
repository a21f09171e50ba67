// Copyright (c) the Gatehouse authors
import ArgumentParser

@main
struct Gatehouse: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gatehouse",
        abstract: "Multi-tenant payOS payment gateway."
    )
}
