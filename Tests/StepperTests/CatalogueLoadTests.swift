import Testing
@testable import Stepper

@Suite struct CatalogueLoadTests {
    @Test func builtInCatalogueDecodes() {
        #expect(!TracepointCatalogue.builtIn.entries.isEmpty)
    }
}
