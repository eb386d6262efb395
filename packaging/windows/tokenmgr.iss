; Inno Setup 6 script: the Windows installer around the one-folder bundle.
; Built on Windows (it cannot run on the Linux CI), from the repository root:
;
;   (PowerShell; Python 3.11+ and Inno Setup 6 installed)
;   py -3.11 -m venv .venv
;   .venv\Scripts\pip install . "pyinstaller==6.*" pillow
;   .venv\Scripts\pyinstaller --noconfirm --clean --distpath dist --workpath build\pyinstaller packaging\tokenmgr.spec
;   $v = .venv\Scripts\python -I -c "import tokenmgr; print(tokenmgr.__version__)"
;   & "${env:ProgramFiles(x86)}\Inno Setup 6\ISCC.exe" "/DAppVersion=$v" packaging\windows\tokenmgr.iss
;
; -> dist\tokenmgr-<version>-setup.exe. The bundle holds tokenmgr.exe (the console
; program: the CLI, and `tokenmgr gui` from a terminal) and tokenmgrw.exe (the same
; program without a console window, which the shortcuts start).

#ifndef AppVersion
  #error Pass the version: ISCC /DAppVersion=<tokenmgr.__version__> packaging\windows\tokenmgr.iss
#endif

[Setup]
AppId={{3AD4AD68-EEE1-4F82-87CF-4F6CDFD2E7E9}
AppName=Token Manager
AppVersion={#AppVersion}
AppVerName=Token Manager {#AppVersion}
AppPublisher=The tokenmgr developers
AppPublisherURL=https://github.com/tokenmgr/tokenmgr
AppSupportURL=https://github.com/tokenmgr/tokenmgr/issues
DefaultDirName={autopf}\Token Manager
DefaultGroupName=Token Manager
DisableProgramGroupPage=yes
; Per-user install by default (no UAC prompt); an administrator may pick all users.
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
SourceDir=..\..
OutputDir=dist
OutputBaseFilename=tokenmgr-{#AppVersion}-setup
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
UninstallDisplayName=Token Manager
UninstallDisplayIcon={app}\tokenmgrw.exe
CloseApplications=yes

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
Source: "dist\tokenmgr\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\Token Manager"; Filename: "{app}\tokenmgrw.exe"; Parameters: "gui"; AppUserModelID: "io.github.tokenmgr"
Name: "{autodesktop}\Token Manager"; Filename: "{app}\tokenmgrw.exe"; Parameters: "gui"; AppUserModelID: "io.github.tokenmgr"; Tasks: desktopicon

[Run]
Filename: "{app}\tokenmgrw.exe"; Parameters: "gui"; Description: "{cm:LaunchProgram,Token Manager}"; Flags: nowait postinstall skipifsilent

; Tokens live in the Windows Credential Manager and the index in the user's data
; folder: the uninstaller leaves both (they are the user's, not the program's).
