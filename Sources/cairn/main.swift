import CairnCLI

await CairnCommand.execute()
