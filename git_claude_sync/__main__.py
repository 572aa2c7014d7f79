from git_claude_sync.entry import main

main()
