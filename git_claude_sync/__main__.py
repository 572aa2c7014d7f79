from git_claude_sync.cli import main

main()
