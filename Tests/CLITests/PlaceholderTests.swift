import Testing
@testable import CifstepKit
