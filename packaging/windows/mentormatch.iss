; Inno Setup script: a Windows installer from the PyInstaller onedir folder.
;   iscc /DAppVersion=0.1.0 /DSourceDir=..\..\dist\mentormatch packaging\windows\mentormatch.iss
; (the CI workflow .github/workflows/dist.yml runs exactly this). Per-machine install
; into Program Files by default; a non-admin user may choose a per-user install instead.

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#ifndef SourceDir
  #define SourceDir "..\..\dist\mentormatch"
#endif

[Setup]
AppId={{6F1D9C52-3A8E-4C5B-9B7E-2E4D8A1C0B37}
AppName=MentorMatch Desktop
AppVersion={#AppVersion}
AppPublisher=MentorMatch Desktop contributors
DefaultDirName={autopf}\MentorMatch
DefaultGroupName=MentorMatch
DisableProgramGroupPage=yes
PrivilegesRequired=admin
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir=..\..\dist
OutputBaseFilename=mentormatch-{#AppVersion}-windows-x64-setup
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
UninstallDisplayIcon={app}\mentormatch-desktop.exe
LicenseFile=..\..\LICENSE
; The system-wide plugin folder admins manage (see docs/packaging.md).
[Dirs]
Name: "{commonappdata}\mentormatch\plugins"

[Files]
Source: "{#SourceDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\MentorMatch Desktop"; Filename: "{app}\mentormatch-desktop.exe"
Name: "{autodesktop}\MentorMatch Desktop"; Filename: "{app}\mentormatch-desktop.exe"; Tasks: desktopicon

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Run]
Filename: "{app}\mentormatch-desktop.exe"; Description: "{cm:LaunchProgram,MentorMatch Desktop}"; Flags: nowait postinstall skipifsilent
