import ArgumentParser
import CairnHTTP

/// `cairn openapi`: prints the HTTP API's OpenAPI document (the source of `Schemas/openapi.yaml`).
struct OpenAPICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "openapi", abstract: "Print the HTTP API's OpenAPI 3.1 document (as served at /openapi.yaml).")

    func run() async throws {
        print(CairnContract.openAPIYAML, terminator: "")
    }
}
