import CifstepKit

CifstepCommand.main()
